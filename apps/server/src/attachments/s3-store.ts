import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Location } from './settings.js';
import { type AttachmentStore, type ByteRange, checkKey } from './store.js';

// An S3-compatible bucket (ATTACHMENTS_S3_URL), through @aws-sdk/client-s3. Path-style
// addressing (`endpoint/bucket/key`) works with AWS and with every compatible server
// (MinIO, Ceph, s3rver); checksums only when a request needs one, which compatible servers
// do not all support. Uploads stream from the temp file with their length: never in memory.

export class S3Store implements AttachmentStore {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly location: S3Location) {
    this.description = `S3 bucket ${location.bucket} at ${location.endpoint}`;
    this.client = new S3Client({
      endpoint: location.endpoint,
      region: location.region,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(location.credentials && { credentials: location.credentials }),
    });
  }

  private key(key: string): string {
    checkKey(key);
    return this.location.prefix === '' ? key : `${this.location.prefix}/${key}`;
  }

  async put(key: string, file: string, size: number): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.key(key),
          Body: createReadStream(file),
          ContentLength: size,
          ContentType: 'application/octet-stream',
        }),
      );
    } finally {
      await rm(file, { force: true });
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const answer = await this.client.send(
      new GetObjectCommand({
        Bucket: this.location.bucket,
        Key: this.key(key),
        ...(range && { Range: `bytes=${range.start}-${range.end}` }),
      }),
    );
    return answer.Body as Readable;
  }

  async remove(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }),
    );
  }

  close(): void {
    this.client.destroy();
  }
}
