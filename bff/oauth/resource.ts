/** The resource every access token is minted for (JWT access tokens, usable at userinfo). */
export const PORTAL_RESOURCE = 'urn:portal:api';
