import type { BenchConfig } from '../config';
import type { HttpVariantResult } from '../http/http-bench';
import type { CoherenceResult } from '../coherence/coherence';
import type { MemoryResults } from '../memory/memory-bench';
import type { HitScenarioResult } from '../micro/hit-path';
import type { StampedeResult } from '../stampede/stampede';
import type { Environment } from './environment';

/** Everything one run measured; each part is missing when it was not run or failed. */
export interface BenchResults {
  config: BenchConfig;
  environment: Environment;
  seconds: number;
  loadAverageEnd: string;
  hit?: HitScenarioResult[];
  stampedeInProcess?: StampedeResult[];
  stampedeAcrossProcesses?: StampedeResult[];
  http?: HttpVariantResult[];
  /** How the HTTP apps and the load generator shared the CPUs. */
  httpPinning?: string;
  memory?: MemoryResults;
  coherence?: CoherenceResult[];
  /** What was left out or went wrong, for the reader. */
  notes: string[];
}
