/**
 * Reading the owned table back from the kernel and comparing it with what was applied: nft's JSON
 * listing parsed into the nft model ({@link dev.palisade.dataplane.readback.KernelTable}), and a
 * structural comparison ({@link dev.palisade.dataplane.readback.Drift}). Pure: text in, values out;
 * the listing itself is taken by {@code dataplane.sync} through the kernel port.
 */
package dev.palisade.dataplane.readback;
