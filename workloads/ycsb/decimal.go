package ycsb

// appendDecimal is strconv.AppendUint(b, u, 10), written for key names:
// every hashed name is a 19- or 20-digit number, made for every row loaded
// and every key a client draws. strconv converts two digits a step with
// bounds checks on its table and buffer (~390 instructions a 19-digit
// number, 8% of a YCSB load's instructions); this converts three fixed
// chunks into an array, its tables indexed by bytes so nothing is
// checked, and drops the leading zeros.
func appendDecimal(b []byte, u uint64) []byte {
	var a [20]byte
	lo := uint32(u % 1e8)
	u /= 1e8
	mid := uint32(u % 1e8)
	hi := uint32(u / 1e8) // at most 1844
	put4Digits((*[4]byte)(a[0:4]), hi)
	put4Digits((*[4]byte)(a[4:8]), mid/1e4)
	put4Digits((*[4]byte)(a[8:12]), mid%1e4)
	put4Digits((*[4]byte)(a[12:16]), lo/1e4)
	put4Digits((*[4]byte)(a[16:20]), lo%1e4)
	i := 0
	for i < len(a)-1 && a[i] == '0' {
		i++
	}
	return append(b, a[i:]...)
}

// put4Digits writes v (below 10^4) as four digits.
func put4Digits(a *[4]byte, v uint32) {
	h, l := uint8(v/100), uint8(v%100)
	a[0], a[1], a[2], a[3] = tensDigit[h], onesDigit[h], tensDigit[l], onesDigit[l]
}

// tensDigit[n] and onesDigit[n] are the digits of n (0..99); 256 entries,
// so a byte indexes them without a bounds check.
var tensDigit, onesDigit = func() (t, o [256]byte) {
	for n := range 100 {
		t[n], o[n] = byte('0'+n/10), byte('0'+n%10)
	}
	return t, o
}()
