package dev.nbdref.block;

/**
 * What a device supports, from which the server derives the transmission flags it may advertise.
 *
 * @param readOnly       writes, trims and zeroes are refused
 * @param canTrim        trim can actually release space (otherwise it is accepted and ignored)
 * @param canFastZero    some zero requests are faster than writing zeroes (otherwise FAST_ZERO always fails)
 * @param canFlush       flush does something (a volatile device may still accept it)
 * @param sharedCache    every connection sees one cache, so a flush on one is visible on all (CAN_MULTI_CONN)
 * @param rotational     the medium seeks slowly
 * @param minBlock       the smallest unit of I/O the device needs (1 for byte-addressable devices)
 */
public record DeviceCapabilities(boolean readOnly, boolean canTrim, boolean canFastZero, boolean canFlush,
                                 boolean sharedCache, boolean rotational, int minBlock) {
}
