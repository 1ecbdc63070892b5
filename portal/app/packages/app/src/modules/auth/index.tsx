/*
 * Sign-in for the stagelift portal.
 *
 * Production: Amazon Cognito through Backstage's generic OpenID Connect provider (the backend's
 * auth.providers.oidc, app-config.production.yaml). Local `yarn start` (a development build):
 * the guest provider, so the app runs without a Cognito user pool.
 */
import {
  ApiBlueprint,
  BackstageIdentityApi,
  OpenIdConnectApi,
  ProfileInfoApi,
  SessionApi,
  configApiRef,
  createApiRef,
  createFrontendModule,
  discoveryApiRef,
  oauthRequestApiRef,
} from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { OAuth2 } from '@backstage/core-app-api';
import { SignInPage } from '@backstage/core-components';

/** Cognito sign-in (Backstage auth provider id `oidc`). */
export const cognitoAuthApiRef = createApiRef<
  OpenIdConnectApi & ProfileInfoApi & BackstageIdentityApi & SessionApi
>().with({ id: 'stagelift.auth.cognito' });

const cognitoAuthApi = ApiBlueprint.make({
  name: 'cognito',
  params: defineParams =>
    defineParams({
      api: cognitoAuthApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        oauthRequestApi: oauthRequestApiRef,
        configApi: configApiRef,
      },
      factory: ({ discoveryApi, oauthRequestApi, configApi }) =>
        OAuth2.create({
          configApi,
          discoveryApi,
          oauthRequestApi,
          provider: { id: 'oidc', title: 'Amazon Cognito', icon: () => null },
          environment: configApi.getOptionalString('auth.environment'),
          defaultScopes: ['openid', 'profile', 'email'],
        }),
    }),
});

const cognitoProvider = {
  id: 'cognito-auth-provider',
  title: 'Amazon Cognito',
  message: 'Sign in with your organization account',
  apiRef: cognitoAuthApiRef,
};

const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => props =>
      process.env.NODE_ENV === 'development' ? (
        <SignInPage {...props} providers={['guest']} />
      ) : (
        <SignInPage {...props} providers={[cognitoProvider]} />
      ),
  },
});

export const authModule = createFrontendModule({
  pluginId: 'app',
  extensions: [cognitoAuthApi, signInPage],
});
