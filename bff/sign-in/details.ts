/**
 * The provider's interaction behind `/interaction/:uid/...`, for every sign-in step's routes.
 * An interaction that is gone, expired or another browser's is a 404 `interaction_not_found`;
 * one the database cannot read right now has not expired: that is the outage's 503 (issue 14).
 */
import type { Request, Response } from 'express';
import type { SessionDeps } from '../session/guard.ts';
import { notFound } from '../http/errors.ts';
import { isStoreOutage } from '../http/error-handler.ts';

export type Details = Awaited<ReturnType<SessionDeps['provider']['interactionDetails']>>;

export async function interactionDetailsOf(provider: SessionDeps['provider'], req: Request, res: Response): Promise<Details> {
  try {
    const d = await provider.interactionDetails(req, res);
    if (d.uid !== req.params.uid) throw new Error('uid mismatch');
    return d;
  } catch (e) {
    if (isStoreOutage(e)) throw e;
    throw notFound('interaction_not_found', 'This sign-in request has expired or was started in another browser. Go back to the app and start again.');
  }
}
