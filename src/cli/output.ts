/** Every command takes `--json`; with it, stdout is one JSON document and nothing else. */
export interface OutputOptions {
  json?: boolean;
}

export function print(options: OutputOptions, data: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

/** Columns padded to their widest cell, as `ls -l` and `kubectl get` print them. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `label: value` lines with the values aligned; a list value prints one item per line. */
export function fields(entries: Array<[string, string | string[]]>): string {
  const width = Math.max(...entries.map(([label]) => label.length)) + 2;
  return entries
    .flatMap(([label, value]) => {
      const values = typeof value === 'string' ? [value] : value.length ? value : ['-'];
      return values.map((v, i) => `${(i === 0 ? `${label}:` : '').padEnd(width)}${v}`);
    })
    .join('\n');
}

export function when(date: Date | null | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
