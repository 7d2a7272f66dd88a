// Added by hack/kind/peer.sh to a copy of github.com/google/nftables when building
// kube-network-policies for the kind bed on a kernel without the nftables `queue` expression
// (CONFIG_NFT_QUEUE unset) but with nft_compat and the xtables NFQUEUE target: the same queue
// statement, sent to the kernel as target NFQUEUE revision 3 (struct xt_NFQ_info_v3).

package expr

import (
	"encoding/binary"

	"github.com/google/nftables/xt"
)

func (e *Queue) marshal(fam byte) ([]byte, error) {
	total := e.Total
	if total == 0 {
		total = 1
	}
	var flags uint16
	if e.Flag&QueueFlagBypass != 0 {
		flags |= 0x01 // NFQ_FLAG_BYPASS
	}
	if e.Flag&QueueFlagFanout != 0 {
		flags |= 0x02 // NFQ_FLAG_CPU_FANOUT
	}
	// queuenum, queues_total, flags (host order), padded to XT_ALIGN(6) = 8
	info := make(xt.Unknown, 8)
	binary.NativeEndian.PutUint16(info[0:], e.Num)
	binary.NativeEndian.PutUint16(info[2:], total)
	binary.NativeEndian.PutUint16(info[4:], flags)
	return (&Target{Name: "NFQUEUE", Rev: 3, Info: &info}).marshal(fam)
}
