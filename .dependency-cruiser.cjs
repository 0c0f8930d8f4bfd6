/**
 * The layering rule of DESIGN.md: the domain folders know nothing of the edges that call them.
 * `npm run lint:deps` (part of `npm run check`) fails on any import that breaks it.
 */
const DOMAIN = '^src/(users|external-logins|oidc|notifications|sign-in)/';
const EDGES = '^src/(http|api|interactions|account|admin)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-edge',
      comment:
        'users/, external-logins/, oidc/, notifications/ and sign-in/ must not import http/, api/, interactions/, account/ or admin/',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: EDGES },
    },
    {
      name: 'domain-imports-composition-root',
      comment:
        'the domain is wired by container.ts (and its steps in wiring/), it does not reach back into it',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^src/((container|app|extensions|main|server|cli)\\.ts$|wiring/)' },
    },
    {
      name: 'no-circular-domain',
      comment: 'a cycle between domain modules means two of them cannot be built without a thunk',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: DOMAIN, circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    parser: 'swc',
  },
};
