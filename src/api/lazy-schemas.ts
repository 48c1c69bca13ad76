import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type RouteSchema = Parameters<FastifySchemaCompiler<unknown>>[0];
type Validate = ReturnType<FastifySchemaCompiler<unknown>>;
type Serialize = ReturnType<FastifySerializerCompiler<unknown>>;

/**
 * Fastify's own compilers (Ajv for request validation, fast-json-stringify for responses), each
 * route's functions compiled on the route's first request instead of all at start: the server has
 * ~300 routes (every one twice, under /api and /api/v1) and a start compiled them all, about a
 * sixth of its start-up CPU, though most are never called by a given process. Fastify has no
 * option for this, hence the wrappers. What they compile is what Fastify would have compiled; a
 * schema Ajv refuses now fails that route's first request (the route sweep test calls every route).
 */
export function lazySchemaCompilers(): CompilersFactory {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  return {
    buildValidator: ((externalSchemas: unknown, options: unknown) => {
      const compile = (buildValidator as (e: unknown, o: unknown) => FastifySchemaCompiler<unknown>)(externalSchemas, options);
      return (route: RouteSchema) => {
        // With a compiler of its own Fastify no longer lowercases header schemas' names: refuse them at start.
        if (route.httpPart === 'headers') throw new Error(`${route.method} ${route.url}: header schemas are not supported (declare headers in the handler)`);
        let validate: Validate | null = null;
        // Fastify reads `errors` off the function after a failed (false) validation, as Ajv leaves them there.
        const lazy = ((data: unknown) => {
          validate ??= compile(route);
          const result = validate(data);
          lazy.errors = validate.errors ?? null;
          return result;
        }) as Validate;
        return lazy;
      };
    }) as CompilersFactory['buildValidator'],
    buildSerializer: ((externalSchemas: unknown, options: unknown) => {
      const compile = (buildSerializer as (e: unknown, o: unknown) => FastifySerializerCompiler<unknown>)(externalSchemas, options);
      return (route: RouteSchema) => {
        let serialize: Serialize | null = null;
        return (data: unknown) => (serialize ??= compile(route))(data);
      };
    }) as CompilersFactory['buildSerializer'],
  };
}
