import { describe, expect, it } from '@jest/globals';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../src/embedded-mongo.js';

describe('embedded MongoDB-compatible server', () => {
  it('starts on loopback, answers the driver over the wire, and stops', async () => {
    const server = await startEmbeddedMongo('launcher');
    const client = new MongoClient(server.uri);
    try {
      const items = client.db('launcher').collection('items');
      await items.insertOne({ _id: 'a' as never, n: 1 });
      expect(await items.findOne({ _id: 'a' as never })).toEqual({ _id: 'a', n: 1 });
      expect(server.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});
