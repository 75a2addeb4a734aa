/** One JSON line per log entry (CloudWatch and local stdout alike). Never pass keys or request bodies. */
export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  if (process.env.TOKMON_LOG === 'silent') return;
  const line = JSON.stringify({ level, message, ...fields, time: new Date().toISOString() });
  if (level === 'error') console.error(line);
  else console.log(line);
}
