import { randomUUID } from 'node:crypto';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { mongoFromEnvironment, type EmbeddedMongo } from '../src/embedded-mongo.js';

/** A MongoDB to test against (MONGODB_URI, or a fresh embedded server) and a database no other test uses. */
export interface TestMongo {
  server: EmbeddedMongo;
  database: string;
  /** A new client connected to the server; closed by `stop`. */
  connect(options?: MongoClientOptions): Promise<MongoClient>;
  stop(): Promise<void>;
}

export async function startTestMongo(name: string): Promise<TestMongo> {
  const database = `${name}_${randomUUID().slice(0, 8)}`;
  const server = await mongoFromEnvironment(database);
  const clients: MongoClient[] = [];
  return {
    server,
    database,
    async connect(options) {
      const client = await new MongoClient(server.uri, options).connect();
      clients.push(client);
      return client;
    },
    async stop() {
      try {
        if (process.env.MONGODB_URI) await dropDatabase(server.uri, database);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
        await server.stop();
      }
    },
  };
}

/** A real server keeps what tests wrote, so it is dropped; a server without the command (the embedded one) is left as is. */
async function dropDatabase(uri: string, database: string): Promise<void> {
  const client = await new MongoClient(uri).connect();
  try {
    await client.db(database).dropDatabase();
  } catch (error) {
    if (!/no such command/i.test((error as Error).message)) throw error;
  } finally {
    await client.close();
  }
}
