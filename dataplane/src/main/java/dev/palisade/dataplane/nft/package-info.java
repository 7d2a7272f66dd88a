/**
 * The nftables model: immutable records for one owned table, its sets, chains and rules. Pure: it
 * knows nothing of the kernel, of rendering or of Kubernetes. Rendering lives in
 * {@code dataplane.render}, the kernel port in {@code dataplane.kernel}.
 */
package dev.palisade.dataplane.nft;
