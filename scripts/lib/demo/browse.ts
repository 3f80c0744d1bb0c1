import * as tb from '../testbed/index.js';

export interface Download {
  /** Bytes received; fewer than asked when the gate cut the connection. */
  bytes: number;
  seconds: number;
  /** Goodput over the whole transfer, bits per second. */
  bps: number;
  complete: boolean;
  /** curl's message when it did not complete. */
  error: string;
}

/** A guest downloads n bytes from "the internet" with curl, from its own namespace, through the router. */
export async function download(id: string, client: string, n: number, timeoutMs = 120_000): Promise<Download> {
  const r = await tb.exec(
    id,
    client,
    [
      'curl',
      '-4',
      '-sS',
      '-o',
      '/dev/null',
      '--max-time',
      String(Math.ceil(timeoutMs / 1000)),
      '-w',
      '%{size_download} %{time_total}',
      `http://example.com/bytes/${n}`,
    ],
    { timeoutMs: timeoutMs + 5_000 },
  );
  const [size, time] = r.stdout.trim().split(/\s+/).map(Number);
  const bytes = size ?? 0;
  const seconds = time ?? 0;
  return {
    bytes,
    seconds,
    bps: seconds > 0 ? (bytes * 8) / seconds : 0,
    complete: r.code === 0 && bytes === n,
    error: r.stderr.trim().replace(/^curl: \(\d+\) /, ''),
  };
}
