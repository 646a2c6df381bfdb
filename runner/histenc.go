package runner

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// encodeHistogram returns h in HdrHistogram's V2 compressed encoding,
// base64: the bytes hdrhistogram-go's Encode(V2CompressedEncodingCookieBase)
// returns (TestEncodeHistogramIsTheLibrarys), which its Decode and every
// HdrHistogram port read. Written here because the library's encoder
// finds its last count by walking every bucket (Max) and writes each count
// with binary.Write, an allocation a count: ~3.5M instructions a
// histogram, ~54M of a 30 s 2pc YCSB-A run's 2.3G for its 15 histograms.
//
// The format: a 40-byte header (cookie, payload length, normalizing index
// offset 0, significant figures, lowest and highest trackable values, the
// integer-to-double ratio), then the counts up to the last non-zero one as
// ZigZag LEB128 numbers, a run of zero counts written as minus its length;
// all of it zlib-compressed at the best level, after a cookie and the
// compressed length.
func encodeHistogram(h *hdrhistogram.Histogram) string {
	const (
		cookie           int32 = hdrhistogram.V2EncodingCookieBase | 0x10
		compressedCookie int32 = hdrhistogram.V2CompressedEncodingCookieBase | 0x10
	)
	snap := h.Export()
	counts := snap.Counts
	limit := len(counts)
	for limit > 1 && counts[limit-1] == 0 {
		limit--
	}
	var payload []byte
	for i := 0; i < limit; {
		c := counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				c = -zeros
			}
		}
		payload = appendZigZag(payload, c)
	}
	ratio := snap.IntegerToDoubleConversionRatio
	if ratio == 0 {
		ratio = 1
	}
	raw := make([]byte, 0, 40+len(payload))
	raw = binary.BigEndian.AppendUint32(raw, uint32(cookie))
	raw = binary.BigEndian.AppendUint32(raw, uint32(len(payload)))
	raw = binary.BigEndian.AppendUint32(raw, 0) // normalizing index offset
	raw = binary.BigEndian.AppendUint32(raw, uint32(snap.SignificantFigures))
	raw = binary.BigEndian.AppendUint64(raw, uint64(snap.LowestTrackableValue))
	raw = binary.BigEndian.AppendUint64(raw, uint64(snap.HighestTrackableValue))
	raw = binary.BigEndian.AppendUint64(raw, math.Float64bits(ratio))
	raw = append(raw, payload...)

	var z bytes.Buffer
	w, _ := zlibWriters.Get().(*zlib.Writer)
	var err error
	if w == nil {
		w, err = zlib.NewWriterLevel(&z, zlib.BestCompression)
	} else {
		w.Reset(&z)
	}
	if err == nil {
		_, err = w.Write(raw)
	}
	if err == nil {
		err = w.Close()
		zlibWriters.Put(w)
	}
	if err != nil {
		// Compressing into memory fails only on a library bug, which must
		// not pass silently.
		panic("runner: compressing a histogram: " + err.Error())
	}
	out := make([]byte, 0, 8+z.Len())
	out = binary.BigEndian.AppendUint32(out, uint32(compressedCookie))
	out = binary.BigEndian.AppendUint32(out, uint32(z.Len()))
	out = append(out, z.Bytes()...)
	return base64.StdEncoding.EncodeToString(out)
}

// zlibWriters keeps the writers of encodeHistogram: a new one allocates and
// clears ~1 MB of deflate state, and a run's results hold 15 histograms
// or more (the real time of a 30 s 2pc YCSB-A run spent ~2% there). Reset
// makes a writer what NewWriterLevel gives, so the bytes are the same.
var zlibWriters sync.Pool

// appendZigZag appends c as the format's ZigZag LEB128 number: seven bits a
// byte, the ninth byte whole (at most nine bytes).
func appendZigZag(b []byte, c int64) []byte {
	v := uint64(c<<1 ^ c>>63)
	for range 8 {
		if v < 0x80 {
			return append(b, byte(v))
		}
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
