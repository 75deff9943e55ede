// A real OpenID Connect provider (panva's oidc-provider) for the single sign-on browser test.
// node provider.mjs PORT REDIRECT_URI CLIENT_SECRET
// Its development sign-in form takes any login name; the person's e-mail is LOGIN@example.org.
import Provider from 'oidc-provider';

const [port, redirectUri, clientSecret] = process.argv.slice(2);
const origin = new URL(redirectUri).origin;

const configuration = {
  clients: [{
    client_id: 'cpcm',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    // Streamlit returns from the provider's sign-out to the same address it signs in at.
    post_logout_redirect_uris: [redirectUri, `${origin}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.org`, email_verified: true, name: id };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['a signing key for the test provider only'] },
  // The ID token carries the e-mail, as Google, Microsoft Entra ID and Keycloak issue it (the app reads it there).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
};

const provider = new Provider(`http://localhost:${port}`, configuration);
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready http://localhost:${port}`);
});
