import { Controller, Get, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Public, SkipRateLimit } from '@app/cache';
import { MetricsService } from './metrics.service';

@Public()
@SkipRateLimit()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  async scrape(@Res() response: ServerResponse): Promise<void> {
    const body = await this.metrics.render();
    response.statusCode = 200;
    response.setHeader('Content-Type', this.metrics.contentType);
    response.end(body);
  }
}
