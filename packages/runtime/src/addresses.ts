import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList } from 'node:net';

/** The host's own and internal networks; IPv4-mapped IPv6 addresses are checked as IPv4. */
const NON_PUBLIC_NETWORKS: [network: string, prefix: number, type: 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // unspecified, "this network"
  ['10.0.0.0', 8, 'ipv4'], // private
  ['100.64.0.0', 10, 'ipv4'], // shared (carrier-grade NAT), where some clouds serve metadata
  ['127.0.0.0', 8, 'ipv4'], // loopback
  ['169.254.0.0', 16, 'ipv4'], // link-local, where most clouds serve metadata
  ['172.16.0.0', 12, 'ipv4'], // private
  ['192.168.0.0', 16, 'ipv4'], // private
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
  ['::', 128, 'ipv6'], // unspecified
  ['::1', 128, 'ipv6'], // loopback
  ['fc00::', 7, 'ipv6'], // unique local (private)
  ['fe80::', 10, 'ipv6'], // link-local
  ['ff00::', 8, 'ipv6'], // multicast
];

const NON_PUBLIC = new BlockList();
for (const [network, prefix, type] of NON_PUBLIC_NETWORKS) NON_PUBLIC.addSubnet(network, prefix, type);

/**
 * The address a notification target's host is called at. Refused when any address of the name is loopback,
 * link-local, private or otherwise not public, unless the operator allows it: a connection cannot make the host
 * call into its own network. The caller connects to the returned address, so a second lookup cannot move it.
 */
export async function checkedAddress(host: string, allowPrivateAddresses: boolean, caller: string): Promise<LookupAddress> {
  const addresses = await lookup(host.replace(/^\[|\]$/g, ''), { all: true, verbatim: true });
  const internal = addresses.find(({ address, family }) => NON_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4'));
  if (internal && !allowPrivateAddresses) {
    throw new Error(`${host} is at ${internal.address}, a loopback, link-local, private or otherwise non-public address, which ${caller} may not call unless the operator allows it`);
  }
  return addresses[0];
}

/** Rejects with `reason` when `work` has not settled by `deadline` (epoch milliseconds). */
export function beforeDeadline<T>(work: Promise<T>, deadline: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(reason)), Math.max(0, deadline - Date.now()))));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
