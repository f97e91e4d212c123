import assert from 'node:assert/strict';
import { AppError } from '../http/errors.ts';

/** The AppError a rejected promise carries (code, status, message, fields); fails when it resolves or throws anything else. */
export async function refusal(run: Promise<unknown>): Promise<{ code: string; status: number; message: string; fields?: Record<string, string> }> {
  try {
    await run;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return { code: err.code, status: err.status, message: err.message, fields: err.fields };
  }
  assert.fail('expected a refusal');
}
