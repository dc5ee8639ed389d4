/**
 * typescript-eslint parses TypeScript with TypeScript's JavaScript API, which TypeScript 7 (the
 * native compiler that builds this project) does not have yet; its supported range ends below 6.1.
 * Microsoft publishes the 6.0 API beside 7 as @typescript/typescript6 for such tools. This hook,
 * loaded by eslint.config.mjs before typescript-eslint, makes the lint packages' `require('typescript')`
 * load that package; everything else (tsc, the build) keeps TypeScript 7.
 */
'use strict';
const Module = require('node:module');

const ts6 = require.resolve('@typescript/typescript6');
const LINT_PACKAGES = /[\\/]node_modules[\\/](@typescript-eslint[\\/][^\\/]+|typescript-eslint|ts-api-utils)[\\/]/;
const resolve = Module._resolveFilename;

Module._resolveFilename = function resolveTypescript6(request, parent, ...rest) {
  if (request === 'typescript' && parent && LINT_PACKAGES.test(parent.filename ?? '')) return ts6;
  return resolve.call(this, request, parent, ...rest);
};
