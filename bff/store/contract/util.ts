/** Helpers shared by the contract suite parts. */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store.ts';

export type GetStore = () => Store;

/** A fresh id, so repeated runs against one database never collide. */
export const rid = (prefix: string): string => `${prefix}-${randomUUID()}`;

/** A fixed clock origin keeps assertions exact. */
export const T0 = 1_700_000_000_000;
