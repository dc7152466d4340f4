/** RtxAssociationStats count what the association did with RTX packets. */
export interface RtxAssociationStats {
  /** rtxAssociations: times an RTX SSRC was learned from its first useful packet. */
  rtxAssociations: number;
  /** rtxUnassociated: RTX packets dropped because their SSRC is not the media stream's RTX SSRC. */
  rtxUnassociated: number;
}

/**
 * RtxAssociation decides which RTX SSRC repairs the media stream received (RFC 4588 §5.3, SSRC
 * multiplexing): the SSRC signalled in `a=ssrc-group:FID <media> <rtx>` (RFC 5576 §4) when there
 * is one; otherwise the SSRC of the first RTX packet whose original sequence number is one the
 * receiver is missing, as RFC 4588 §5.3 lets a receiver associate by the requests it sent. It
 * stays associated while the media SSRC stays the same; a new media SSRC learns again. Pure.
 */
export class RtxAssociation {
  /** stats are live counters. */
  readonly stats: RtxAssociationStats = { rtxAssociations: 0, rtxUnassociated: 0 };
  private signalled: { readonly media: number | undefined; readonly rtx: number } | undefined;
  private learned: { media: number; rtx: number } | undefined;

  /**
   * constructor takes the signalled RTX SSRC (and the media SSRC it pairs with, when known),
   * from the remote's `a=ssrc-group:FID`.
   */
  constructor(signalled?: { readonly mediaSsrc?: number; readonly rtxSsrc: number }) {
    this.setSignalled(signalled);
  }

  /** setSignalled replaces the signalled pairing (a new SDP); undefined: learn from packets. */
  setSignalled(signalled?: { readonly mediaSsrc?: number; readonly rtxSsrc: number }): void {
    this.signalled =
      signalled === undefined
        ? undefined
        : { media: signalled.mediaSsrc, rtx: signalled.rtxSsrc >>> 0 };
    this.learned = undefined;
  }

  /** rtxSsrc is the RTX SSRC associated with `mediaSsrc` now, if any. */
  rtxSsrcFor(mediaSsrc: number): number | undefined {
    const s = this.signalled;
    if (s !== undefined && (s.media === undefined || s.media === mediaSsrc)) return s.rtx;
    const l = this.learned;
    return l !== undefined && l.media === mediaSsrc ? l.rtx : undefined;
  }

  /**
   * accepts tells whether an RTX packet of `rtxSsrc` carrying original sequence number `osn`
   * repairs the media stream `mediaSsrc`; `missing` says whether the receiver misses `osn`.
   */
  accepts(
    rtxSsrc: number,
    mediaSsrc: number,
    osn: number,
    missing: (seq: number) => boolean,
  ): boolean {
    const known = this.rtxSsrcFor(mediaSsrc);
    if (known !== undefined) {
      if (known === rtxSsrc) return true;
      this.stats.rtxUnassociated++;
      return false;
    }
    const s = this.signalled;
    if ((s === undefined || s.media !== undefined) && missing(osn)) {
      this.learned = { media: mediaSsrc, rtx: rtxSsrc };
      this.stats.rtxAssociations++;
      return true;
    }
    this.stats.rtxUnassociated++;
    return false;
  }
}
