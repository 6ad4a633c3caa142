/**
 * Distributor's AmazonCloudWatchAgent package as AWS publishes it: its versions, newest last. The
 * newest is the package document's default version, which is what an Install that names no
 * version gets and what DescribeDocument reports as its VersionName.
 */
export class DistributorWorld {
  private readonly versions: string[];

  constructor(initial: string) {
    this.versions = [initial];
  }

  /** AWS publishes a version; it becomes the default (publishing one again makes it the default again). */
  publish(version: string): void {
    const at = this.versions.indexOf(version);
    if (at >= 0) this.versions.splice(at, 1);
    this.versions.push(version);
  }

  get defaultVersion(): string {
    return this.versions[this.versions.length - 1]!;
  }

  get published(): readonly string[] {
    return [...this.versions];
  }
}
