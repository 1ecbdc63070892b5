/*
 * The scaffolder's cookiecutter actions, chosen from configuration.
 *
 * Production loads the stock module. `make e2e` (tests/e2e/app-config.e2e.yaml sets
 * `stagelift.e2e.dryRunCookiecutter: true`) loads the same action with `supportsDryRun` set:
 * the scaffolder skips actions without it in a dry-run, so nothing would be generated and the
 * generated catalog-info.yaml could not be checked. The action's code is the stock one.
 */
import {
  coreServices,
  createBackendFeatureLoader,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { createFetchCookiecutterAction } from '@backstage/plugin-scaffolder-backend-module-cookiecutter';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';

const dryRunCookiecutterForE2e = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'e2e-dry-run-cookiecutter',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        reader: coreServices.urlReader,
      },
      async init({ scaffolder, config, reader }) {
        const action = createFetchCookiecutterAction({
          reader,
          integrations: ScmIntegrations.fromConfig(config),
        });
        scaffolder.addActions({ ...action, supportsDryRun: true });
      },
    });
  },
});

export const cookiecutterActions = createBackendFeatureLoader({
  deps: { config: coreServices.rootConfig },
  *loader({ config }) {
    if (config.getOptionalBoolean('stagelift.e2e.dryRunCookiecutter')) {
      yield dryRunCookiecutterForE2e;
    } else {
      yield import('@backstage/plugin-scaffolder-backend-module-cookiecutter');
    }
  },
});
