import { createRequire } from 'node:module';
import type AjvCompiler from '@fastify/ajv-compiler';
import type SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type RouteSchema = Parameters<FastifySchemaCompiler<unknown>>[0];
type Validate = ReturnType<FastifySchemaCompiler<unknown>>;
type Serialize = ReturnType<FastifySerializerCompiler<unknown>>;
type Build<C> = (externalSchemas: unknown, options: unknown) => C;

/**
 * Fastify's own compilers (Ajv for request validation, fast-json-stringify for responses), each
 * route's functions compiled on the route's first request instead of all at start, and the
 * compilers themselves (~250 CommonJS modules) loaded then: the server registers every route
 * twice (under /api and /api/v1) and a start compiled them all, about a sixth of its start-up
 * CPU, though a process calls few of them. Fastify has no option for this, hence the wrappers
 * (state per app, in this closure). What they compile is what Fastify would have compiled; a
 * schema Ajv refuses now fails that route's first request (the route sweep test calls every route).
 */
export function lazySchemaCompilers(): CompilersFactory {
  const require = createRequire(import.meta.url);
  let validators: Build<FastifySchemaCompiler<unknown>> | null = null;
  let serializers: Build<FastifySerializerCompiler<unknown>> | null = null;
  const validatorsOf = () => (validators ??= (require('@fastify/ajv-compiler') as typeof AjvCompiler)() as unknown as Build<FastifySchemaCompiler<unknown>>);
  const serializersOf = () => (serializers ??= (require('@fastify/fast-json-stringify-compiler') as typeof SerializerSelector)() as unknown as Build<FastifySerializerCompiler<unknown>>);
  return {
    buildValidator: ((externalSchemas: unknown, options: unknown) => {
      let compile: FastifySchemaCompiler<unknown> | null = null;
      return (route: RouteSchema) => {
        // With a compiler of its own Fastify no longer lowercases header schemas' names: refuse them at start.
        if (route.httpPart === 'headers') throw new Error(`${route.method} ${route.url}: header schemas are not supported (check headers in the handler)`);
        let validate: Validate | null = null;
        // Fastify reads `errors` off the function after a failed (false) validation, as Ajv leaves them there.
        const lazy = ((data: unknown) => {
          validate ??= (compile ??= validatorsOf()(externalSchemas, options))(route);
          const result = validate(data);
          lazy.errors = validate.errors ?? null;
          return result;
        }) as Validate;
        return lazy;
      };
    }) as CompilersFactory['buildValidator'],
    buildSerializer: ((externalSchemas: unknown, options: unknown) => {
      let compile: FastifySerializerCompiler<unknown> | null = null;
      return (route: RouteSchema) => {
        let serialize: Serialize | null = null;
        return (data: unknown) => (serialize ??= (compile ??= serializersOf()(externalSchemas, options))(route))(data);
      };
    }) as CompilersFactory['buildSerializer'],
  };
}
