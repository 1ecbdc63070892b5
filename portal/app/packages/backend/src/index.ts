/*
 * The stagelift portal's backend: the plugins create-app installs, plus Cognito sign-in through
 * the generic OIDC provider and the scaffolder's cookiecutter module (stagelift's templates).
 */

import { createBackend } from '@backstage/backend-defaults';
import { cookiecutterActions } from './e2e';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
// fetch:cookiecutter for stagelift's templates (runs the `cookiecutter` CLI the image carries);
// `make e2e` swaps in a dry-run-capable copy of the same action, see ./e2e.ts.
backend.add(cookiecutterActions);
// publish:github and publish:github:pull-request; credentials from integrations.github (the App).
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);

// techdocs plugin
backend.add(import('@backstage/plugin-techdocs-backend'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// Cognito sign-in in production (auth.providers.oidc in app-config.production.yaml).
backend.add(import('@backstage/plugin-auth-backend-module-oidc-provider'));
// Guest sign-in for local `yarn start` only: the provider refuses to work outside development.
// See https://backstage.io/docs/auth/guest/provider
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

// GitHub discovery (catalog.providers.github: every catalog-info.yaml of the organisation) and
// users and teams as User and Group entities (catalog.providers.githubOrg). Both read their
// providers from app-config.github.yaml and register none when it is not included (no GitHub App).
backend.add(import('@backstage/plugin-catalog-backend-module-github'));
backend.add(import('@backstage/plugin-catalog-backend-module-github-org'));

// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin
backend.add(import('@backstage/plugin-permission-backend'));
// See https://backstage.io/docs/permissions/getting-started for how to create your own permission policy
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// search plugin
backend.add(import('@backstage/plugin-search-backend'));

// search engine
// See https://backstage.io/docs/features/search/search-engines
backend.add(import('@backstage/plugin-search-backend-module-pg'));

// search collators
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// kubernetes plugin
backend.add(import('@backstage/plugin-kubernetes-backend'));

// user settings plugin
backend.add(import('@backstage/plugin-user-settings-backend'));

// notifications and signals plugins
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// mcp actions plugin
backend.add(import('@backstage/plugin-mcp-actions-backend'));

backend.start();
