/**
 * The real logger (redaction and serializers included) writing to an array the
 * test reads: one parsed JSON object per log line.
 */
import { createLogger, type Logger } from '../http/logger.ts';

export function recordingLogger<Line = Record<string, unknown>>(level = 'info'): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { logger, lines };
}
