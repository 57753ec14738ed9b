import { gzipSync } from 'node:zlib';

const BLOCK = 512;

function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const field = (value: string, offset: number, length: number): void => { block.write(value, offset, length, 'ascii'); };
  const octal = (value: number, length: number): string => value.toString(8).padStart(length - 1, '0') + '\0';
  field(name, 0, 100);
  field(octal(0o644, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(size, 12), 124, 12);
  field(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  field('        ', 148, 8); // checksum is computed with its own field as spaces
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  field(octal(checksum, 7) + ' ', 148, 8);
  return block;
}

/** A gzipped ustar archive of the given files, the format of Mailchimp's batch results. */
export function gzippedTar(files: { name: string; content: string }[]): Buffer {
  const parts = files.flatMap(({ name, content }) => {
    const data = Buffer.from(content, 'utf8');
    const padding = Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK);
    return [header(name, data.length), data, padding];
  });
  return gzipSync(Buffer.concat([...parts, Buffer.alloc(BLOCK * 2)]));
}
