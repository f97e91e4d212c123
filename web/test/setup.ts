import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// Vitest runs without injected globals, so Testing Library cannot register
// its own cleanup; unmount rendered trees between tests here.
afterEach(() => {
  cleanup();
});

// The first render of a file also pays for loading its modules (more so for
// lazily loaded screens) on a shared, busy machine: wait up to 5 s, not 1 s.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 20_000 });

// jsdom has no <dialog> methods yet: the smallest stand-in (the open attribute,
// and the close event) so the real ConfirmDialog runs; a browser does the rest.
if (typeof HTMLDialogElement !== 'undefined' && typeof HTMLDialogElement.prototype.showModal !== 'function') {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    if (!this.hasAttribute('open')) return;
    this.removeAttribute('open');
    this.dispatchEvent(new Event('close'));
  };
}
