#!/usr/bin/env node
// Plain JavaScript on purpose: an older Node must reach this check and say so, rather than fail on
// TypeScript syntax. Node 22.18 is the first 22.x that runs .ts files without a flag.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `gatehouse: Node.js 22.18 or newer is needed (this is v${process.versions.node}); run it as \`npx gatehouse\` from the repository\n`,
  );
  process.exit(1);
}
const { main } = await import('../src/cli.ts');
await main();
