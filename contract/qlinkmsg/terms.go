package qlinkmsg

import "encoding/binary"

// Plan is a plan's terms as the owner publishes them.
type Plan struct {
	ZeroRatedWhenOut bool // zero-rated destinations stay reachable at no credit
	PricePerMB       uint64
	PricePerMinute   uint64
	DownKbps, UpKbps uint32
	DataCapBytes     uint64
	TimeCapSeconds   uint32
	ValidFrom        uint64 // ms
	ValidUntil       uint64 // ms
	Name             string // 1..32 bytes UTF-8
	ZeroRated        []ZeroRated
}

// ZeroRated is a destination whose traffic is free: kind 1 host name
// (ASCII lowercase), 2 IPv4 prefix (4 bytes + prefix length), 3 IPv6
// prefix (16 bytes + prefix length).
type ZeroRated struct {
	Kind byte
	Data []byte
}

// PlanTerms encodes p in the terms layout (format 1) of contract/README.md.
func PlanTerms(p Plan) []byte {
	b := []byte{1, 0}
	if p.ZeroRatedWhenOut {
		b[1] = 1
	}
	b = binary.LittleEndian.AppendUint64(b, p.PricePerMB)
	b = binary.LittleEndian.AppendUint64(b, p.PricePerMinute)
	b = binary.LittleEndian.AppendUint32(b, p.DownKbps)
	b = binary.LittleEndian.AppendUint32(b, p.UpKbps)
	b = binary.LittleEndian.AppendUint64(b, p.DataCapBytes)
	b = binary.LittleEndian.AppendUint32(b, p.TimeCapSeconds)
	b = binary.LittleEndian.AppendUint64(b, p.ValidFrom)
	b = binary.LittleEndian.AppendUint64(b, p.ValidUntil)
	b = append(b, byte(len(p.Name)))
	b = append(b, p.Name...)
	b = append(b, byte(len(p.ZeroRated)))
	for _, z := range p.ZeroRated {
		b = append(b, z.Kind, byte(len(z.Data)))
		b = append(b, z.Data...)
	}
	return b
}
