/**
 * The `acr` value partners may ask for with `acr_values` and find in ID tokens
 * after a sign-in with a second factor (docs/decisions/0015). Declared here so
 * the provider's configuration and the second-factor policy share one value.
 */
export const MFA_ACR = 'mfa';
