import { describe, expect, it } from '@jest/globals';
import { MongoClient } from 'mongodb';
import { embeddedServerUnavailable, startEmbeddedMongo } from '../src/embedded-mongo.js';

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

  it('says what to do where it cannot run', () => {
    expect(embeddedServerUnavailable('darwin-arm64')).toMatch(/linux-x64 only, and this machine is darwin-arm64\. .*start a MongoDB server .* set MONGODB_URI=mongodb:\/\//);
    expect(embeddedServerUnavailable('linux-x64')).toContain('npm install @jongodb/memory-server-bin-linux-x64-gnu');
  });
});
