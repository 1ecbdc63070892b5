#!/usr/bin/env node
// Validate Backstage catalog files with Backstage's own code, as the catalog backend would.
//
//   node tools/validate-catalog.mjs [--strict-refs] FILE.yaml [FILE.yaml ...]
//
// Every YAML document of every file is an entity. Each goes through the catalog backend's
// default entity policies (schema, default namespace, no foreign root fields, field formats),
// then the kind validators of @backstage/catalog-model and, for kind Template,
// @backstage/plugin-scaffolder-common. Relation targets (owner, system, dependsOn, ...) are
// parsed the way the backend's built-in processor parses them: a reference without a kind
// where the relation has no default kind (dependsOn) is an error. Location targets that are
// relative paths must exist. Template parameter patterns must compile as the form's JavaScript
// regular expressions. Entities defined twice are an error.
// With --strict-refs, a relation target that is not defined in the given files is an error
// (otherwise a warning).
// Prints every problem as "FILE: KIND:NAMESPACE/NAME: message"; exit status 1 if any.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { parseAllDocuments } from 'yaml';
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  stringifyEntityRef,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';

// The order and set the catalog backend applies by default.
const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
]);

const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  templateEntityV1beta3Validator,
];

// Relation fields per kind and the kind a reference without one defaults to (undefined = none).
const relationFields = {
  component: { owner: 'Group', system: 'System', subcomponentOf: 'Component', providesApis: 'API', consumesApis: 'API', dependsOn: undefined, dependencyOf: undefined },
  api: { owner: 'Group', system: 'System' },
  resource: { owner: 'Group', system: 'System', dependsOn: undefined, dependencyOf: undefined },
  system: { owner: 'Group', domain: 'Domain' },
  domain: { owner: 'Group', subdomainOf: 'Domain' },
  group: { parent: 'Group', children: 'Group', members: 'User' },
  user: { memberOf: 'Group' },
  template: { owner: 'Group' },
};

const args = process.argv.slice(2);
const strictRefs = args.includes('--strict-refs');
const files = args.filter(a => a !== '--strict-refs');
if (files.length === 0) {
  console.error('usage: node tools/validate-catalog.mjs [--strict-refs] FILE.yaml [FILE.yaml ...]');
  process.exit(2);
}

const errors = [];
const warnings = [];
const defined = new Map(); // entity ref -> file
const references = []; // { file, owner, field, ref }

function label(entity) {
  const kind = entity?.kind ?? '(no kind)';
  const name = entity?.metadata?.name ?? '(no name)';
  const namespace = entity?.metadata?.namespace ?? 'default';
  return `${kind}:${namespace}/${name}`;
}

async function exists(file) {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function checkLocation(file, entity, problems) {
  const targets = [...(entity.spec?.targets ?? []), ...(entity.spec?.target ? [entity.spec.target] : [])];
  const type = entity.spec?.type ?? 'file';
  for (const target of targets) {
    if (type !== 'file' && type !== 'url') continue;
    if (/^[a-z]+:\/\//i.test(target)) continue;
    const resolved = path.resolve(path.dirname(file), target);
    if (!(await exists(resolved))) problems.push(`Location target ${target} does not exist (${resolved})`);
  }
}

function collectReferences(file, entity, problems) {
  const fields = relationFields[entity.kind.toLowerCase()] ?? {};
  const self = stringifyEntityRef(entity);
  for (const [field, defaultKind] of Object.entries(fields)) {
    const raw = entity.spec?.[field];
    if (raw === undefined) continue;
    for (const ref of Array.isArray(raw) ? raw : [raw]) {
      try {
        const parsed = parseEntityRef(ref, { defaultKind, defaultNamespace: entity.metadata.namespace ?? 'default' });
        references.push({ file, self, field, ref: stringifyEntityRef(parsed) });
      } catch (error) {
        problems.push(`spec.${field}: ${error.message}`);
      }
    }
  }
}

// The scaffolder's form validates parameters with ajv, which compiles each pattern as a
// Unicode-mode JavaScript RegExp: a pattern valid in Python (e.g. an escaped quote) can fail there.
function checkParameterPatterns(entity, problems) {
  const pages = [entity.spec?.parameters ?? []].flat();
  const visit = (schema, where) => {
    if (!schema || typeof schema !== 'object') return;
    if (typeof schema.pattern === 'string') {
      try {
        new RegExp(schema.pattern, 'u');
      } catch (error) {
        problems.push(`${where}.pattern: not a valid JavaScript (Unicode) regular expression: ${error.message}`);
      }
    }
    for (const [key, value] of Object.entries(schema.properties ?? {})) visit(value, `${where}.properties.${key}`);
    if (schema.items) visit(schema.items, `${where}.items`);
  };
  pages.forEach((page, index) => visit(page, `spec.parameters[${index}]`));
}

async function validateEntity(file, original) {
  const problems = [];
  let entity;
  try {
    entity = await policy.enforce(structuredClone(original));
  } catch (error) {
    problems.push(error.message);
    return { entity: original, problems };
  }
  let handled = false;
  for (const validator of kindValidators) {
    try {
      if (await validator.check(entity)) {
        handled = true;
        break;
      }
    } catch (error) {
      problems.push(error.message);
      handled = true;
      break;
    }
  }
  if (!handled) problems.push(`unsupported apiVersion/kind ${entity.apiVersion} ${entity.kind}`);
  if (problems.length === 0) {
    collectReferences(file, entity, problems);
    if (entity.kind === 'Location') await checkLocation(file, entity, problems);
    if (entity.kind === 'Template') checkParameterPatterns(entity, problems);
  }
  return { entity, problems };
}

let count = 0;
for (const file of files) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    errors.push(`${file}: cannot read: ${error.message}`);
    continue;
  }
  const documents = parseAllDocuments(text);
  for (const document of documents) {
    if (document.errors.length > 0) {
      for (const error of document.errors) errors.push(`${file}: YAML: ${error.message}`);
      continue;
    }
    const original = document.toJS();
    if (original === null || original === undefined) continue;
    count += 1;
    const { entity, problems } = await validateEntity(file, original);
    for (const problem of problems) errors.push(`${file}: ${label(entity)}: ${problem}`);
    if (problems.length === 0) {
      const ref = stringifyEntityRef(entity);
      if (defined.has(ref)) errors.push(`${file}: ${label(entity)}: also defined in ${defined.get(ref)}`);
      else defined.set(ref, file);
    }
  }
}

for (const { file, self, field, ref } of references) {
  if (defined.has(ref)) continue;
  const message = `${file}: ${self}: spec.${field} refers to ${ref}, which none of the given files defines`;
  (strictRefs ? errors : warnings).push(message);
}

for (const warning of warnings) console.warn(`warning: ${warning}`);
for (const error of errors) console.error(error);
if (errors.length > 0) {
  console.error(`${errors.length} problem(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`${count} entities in ${files.length} file(s): valid`);
