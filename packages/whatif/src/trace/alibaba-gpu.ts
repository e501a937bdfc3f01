// SPDX-License-Identifier: Apache-2.0
// Reader of the public Alibaba GPU cluster trace (cluster-trace-gpu-v2023, openb_*.csv): nodes
// become host templates by GPU model, pods become VM requests for pass-through GPUs. A pod with
// gpu_milli < 1000 asks for a fraction of a GPU, which pass-through cannot give: it is counted as
// `sharedGpuPods` and requests one whole GPU (the conservative reading).

export interface TraceNode {
  sn: string;
  cpus: number;
  memoryMiB: number;
  gpus: number;
  model: string;
}

export interface TracePod {
  name: string;
  cpus: number;
  memoryMiB: number;
  gpus: number;
  gpuMilli: number;
  /** Allowed GPU models; empty = any. */
  gpuSpec: string[];
  creationS: number;
  deletionS: number;
}

export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

function rows(
  text: string,
  file: string,
  header: readonly string[],
): { line: number; cells: Record<string, string> }[] {
  const lines = text.split(/\r?\n/);
  const head = (lines[0] ?? '').split(',').map((h) => h.trim());
  for (const h of header)
    if (!head.includes(h)) throw new TraceFormatError(file, 1, `missing column '${h}' (have: ${head.join(', ')})`);
  const out: { line: number; cells: Record<string, string> }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    const parts = l.split(',');
    if (parts.length !== head.length)
      throw new TraceFormatError(file, i + 1, `expected ${head.length} fields, got ${parts.length}`);
    const cells: Record<string, string> = {};
    head.forEach((h, k) => {
      cells[h] = parts[k]!.trim();
    });
    out.push({ line: i + 1, cells });
  }
  return out;
}

function num(file: string, line: number, cells: Record<string, string>, key: string): number {
  const v = Number(cells[key]);
  if (cells[key] === '' || !Number.isFinite(v) || v < 0)
    throw new TraceFormatError(file, line, `${key} '${cells[key]}' is not a non-negative number`);
  return v;
}

export function parseTraceNodes(text: string, file = 'nodes.csv'): TraceNode[] {
  return rows(text, file, ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model']).map(({ line, cells }) => ({
    sn: cells.sn!,
    cpus: Math.floor(num(file, line, cells, 'cpu_milli') / 1000),
    memoryMiB: num(file, line, cells, 'memory_mib'),
    gpus: num(file, line, cells, 'gpu'),
    model: cells.model ?? '',
  }));
}

export function parseTracePods(text: string, file = 'pods.csv'): TracePod[] {
  const cols = [
    'name',
    'cpu_milli',
    'memory_mib',
    'num_gpu',
    'gpu_milli',
    'gpu_spec',
    'creation_time',
    'deletion_time',
  ];
  return rows(text, file, cols).map(({ line, cells }) => {
    const spec = cells.gpu_spec ?? '';
    return {
      name: cells.name!,
      cpus: Math.max(1, Math.ceil(num(file, line, cells, 'cpu_milli') / 1000)),
      memoryMiB: num(file, line, cells, 'memory_mib'),
      gpus: num(file, line, cells, 'num_gpu'),
      gpuMilli: num(file, line, cells, 'gpu_milli'),
      gpuSpec: spec === '' || spec === 'nan' ? [] : spec.split('|'),
      creationS: num(file, line, cells, 'creation_time'),
      deletionS: cells.deletion_time === '' ? Number.POSITIVE_INFINITY : num(file, line, cells, 'deletion_time'),
    };
  });
}
