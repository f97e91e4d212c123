/**
 * Signing in a device without a browser (RFC 8628) as a person does it: the
 * device (openid-client, in the test) shows a code and a link; the person
 * opens the link in Chromium, signs in on the way, checks the app and what it
 * asks for, and allows it with the keyboard; the device then gets its tokens.
 */
import * as oidc from 'openid-client';
import { expectAccessibleAtAllWidths as expectAccessible } from '../fixtures/a11y.ts';
import { registerClient } from '../../bff/oauth/clients.ts';
import { ISSUER } from '../fixtures/env.ts';
import { expect, screenshot, signInViaApi, test } from '../fixtures/test.ts';

test('a person signs a TV in: opens the link, signs in, sees the app and its scopes, allows it; the TV gets tokens', async ({ page, store, seedUser }) => {
  const user = await seedUser();
  const name = `Living Room TV ${Date.now()}`;
  const { client } = await registerClient(
    store,
    { name, redirectUris: ['https://tv.example/cb'], isPublic: true, scopes: ['openid', 'email'], options: { device: true } },
    Date.now(),
  );
  const tv = await oidc.discovery(new URL(ISSUER), client.clientId, {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const shown = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid email' });

  await page.goto(shown.verification_uri_complete!);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Password', { exact: true }).press('Enter');

  // Back through the sign-in redirects to /device, with the code from the link (slow on a busy machine).
  await expect(page.getByRole('heading', { name: 'Sign in on a device' })).toBeVisible({ timeout: 30_000 });
  const code = page.getByLabel('Code', { exact: true });
  await expect(code).toHaveValue(shown.user_code);
  await expect(code).toBeFocused();
  await expectAccessible(page, 'device code');
  await code.press('Enter');

  await expect(page.getByRole('heading', { name: `Sign in to ${name} on your device?` })).toBeVisible();
  await expect(page.getByRole('listitem')).toHaveText(['Confirm who you are (your Portal account identifier)', 'See your email address']);
  await expectAccessible(page, 'device confirmation');
  await screenshot(page, 'device-confirm');
  await page.getByRole('button', { name: 'Allow' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toHaveText(`${name} on your device can continue now. You can close this page.`);

  const tokens = await oidc.pollDeviceAuthorizationGrant(tv, { ...shown, interval: 0 });
  expect(tokens.claims()!.email).toBe(user.email);
});

test('a wrong code is announced and focused, and the right one, typed in lower case without the dash, then works', async ({
  page,
  context,
  store,
  seedUser,
}) => {
  const user = await seedUser();
  const { client } = await registerClient(
    store,
    { name: 'Console', redirectUris: ['https://console.example/cb'], isPublic: true, scopes: ['openid'], options: { device: true } },
    Date.now(),
  );
  const tv = await oidc.discovery(new URL(ISSUER), client.clientId, {}, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const shown = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
  await signInViaApi(context, user);

  await page.goto('/device');
  const code = page.getByLabel('Code', { exact: true });
  await code.fill('BBBB-BBBB');
  await code.press('Enter');
  await expect(code).toHaveAttribute('aria-invalid', 'true');
  await expect(code).toBeFocused();
  await expect(page.getByText('That code is not valid. Check the code on your device and try again.')).toBeVisible();
  await expectAccessible(page, 'device wrong code');

  await code.fill(shown.user_code.replace('-', '').toLowerCase());
  await code.press('Enter');
  await expect(page.getByRole('heading', { name: 'Sign in to Console on your device?' })).toBeVisible();
  await page.getByRole('button', { name: 'Deny' }).click();
  await expect(page.getByRole('heading', { name: 'Your device was not signed in' })).toBeVisible();
  const denied = await oidc.pollDeviceAuthorizationGrant(tv, { ...shown, interval: 0 }).catch((e: unknown) => e);
  expect((denied as oidc.ResponseBodyError).error).toBe('access_denied');
});
