import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';

const ID = /^[1-9]\d{0,15}$/;

/**
 * A route id, as a number: a positive integer written plainly (no sign, exponent, leading zero,
 * space or NUL) and exact in a JavaScript number. Anything else is a 400, never a lookup of a
 * rounded or reinterpreted id.
 *
 * A param decorator rather than a pipe on `@Param()`: the global ValidationPipe (transform: true)
 * runs first on `@Param()` and would already have turned `'0x10'` into 16 and `' 1'` into 1.
 *
 * @example
 * @Get(':id') findOne(@IdParam('id') id: number) {}
 */
export const IdParam = createParamDecorator((name: string, context: ExecutionContext): number => {
  const params = context.switchToHttp().getRequest<{ params?: Record<string, unknown> }>().params;
  return parseId(params?.[name]);
});

/** The id in `value`, or a `BadRequestException`. */
export function parseId(value: unknown): number {
  const id = typeof value === 'string' && ID.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw new BadRequestException('id must be a positive integer (at most 2^53 - 1)');
  }
  return id;
}
