// Package jsonlite decodes JSON into plain Go structs, and encodes them
// (encode.go), the way encoding/json does, for the runtime's processes and
// the engine's CLI, which live a few milliseconds. encoding/json builds,
// before it decodes anything, its decoders and its encoders for the whole
// graph of the target type, whatever the input holds: about 1 ms for the
// OCI spec in each process, more than the decoding. This decoder looks at
// a type only when the input reaches it.
//
// It handles structs (json tags, exported fields, embedded structs),
// pointers, slices, arrays, string-keyed maps, strings, bools, integers,
// and types with their own UnmarshalJSON on a pointer receiver (json.RawMessage, time.Time), which
// it calls as encoding/json does. Anything else, and anything where
// encoding/json's rules are subtle (a key that matches a field only
// without regard to case, a key given twice, a number that is not a plain
// integer, a string that is not valid UTF-8, a null for a type with its
// own UnmarshalJSON, a type with only UnmarshalText),
// returns ErrUnsupported, as does malformed input: the caller then decodes
// with encoding/json, which gives the answer and the error message. So on success the result is the one
// encoding/json gives (the differential fuzz test checks), and on failure
// nothing depends on this package.
package jsonlite

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jinn-containers/jinn/internal/jsonstr"
)

// ErrUnsupported means: decode with encoding/json instead.
var ErrUnsupported = errors.New("jsonlite: not decoded, use encoding/json")

// Unmarshal decodes data into v, a non-nil pointer. On error v may be
// partly filled: decode into a fresh value.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return ErrUnsupported
	}
	d := decoder{data: data}
	if !d.value(rv.Elem(), 0) {
		return ErrUnsupported
	}
	d.space()
	if d.pos != len(d.data) {
		return ErrUnsupported
	}
	return nil
}

// Decode is json.Unmarshal into v, a pointer to a zero value, by this
// package where it can: what encoding/json would give, with its errors.
func Decode(data []byte, v any) error {
	if Unmarshal(data, v) == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero() // partly filled
	}
	return json.Unmarshal(data, v)
}

const maxDepth = 1000

type decoder struct {
	data []byte
	pos  int
	buf  []byte // a string's bytes, reused
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// unmarshaler is v's json.Unmarshaler as encoding/json finds it: on a
// pointer (allocated if nil) whose type has UnmarshalJSON, or on v's
// address where the method has a pointer receiver. nil otherwise, and
// for a method on a value receiver (left to encoding/json).
func unmarshaler(v reflect.Value) json.Unmarshaler {
	t := v.Type()
	if v.Kind() == reflect.Pointer && t.Implements(unmarshalerType) && !t.Elem().Implements(unmarshalerType) {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return v.Interface().(json.Unmarshaler)
	}
	if v.Kind() != reflect.Pointer && v.CanAddr() && !t.Implements(unmarshalerType) &&
		reflect.PointerTo(t).Implements(unmarshalerType) {
		return v.Addr().Interface().(json.Unmarshaler)
	}
	return nil
}

// custom says whether t decodes itself in encoding/json.
func custom(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || pt.Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// literal consumes word (null, true, false).
func (d *decoder) literal(word string) bool {
	if !strings.HasPrefix(string(d.data[d.pos:]), word) {
		return false
	}
	d.pos += len(word)
	return true
}

func (d *decoder) value(v reflect.Value, depth int) bool {
	if depth > maxDepth {
		return false
	}
	d.space()
	if d.pos >= len(d.data) {
		return false
	}
	t := v.Type()
	if d.data[d.pos] == 'n' {
		if !d.literal("null") {
			return false
		}
		// null sets pointers, slices and maps to nil and leaves the rest.
		switch v.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if custom(t) {
				return false
			}
			v.SetZero()
		case reflect.Struct, reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if custom(t) {
				return false
			}
		default:
			return false
		}
		return true
	}
	if u := unmarshaler(v); u != nil {
		// What encoding/json does with such a type (json.RawMessage,
		// time.Time): hand it the value's bytes. (It would hand it a null
		// too, which is declined above.)
		start := d.pos
		if !d.skip(depth) {
			return false
		}
		return u.UnmarshalJSON(d.data[start:d.pos]) == nil
	}
	if custom(t) {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(v.Elem(), depth+1)
	case reflect.Struct:
		return d.object(v, depth)
	case reflect.Map:
		return d.mapValue(v, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return false // base64 in encoding/json
		}
		return d.array(v, depth)
	case reflect.Array:
		return d.fixed(v, depth)
	case reflect.String:
		s, ok := d.str()
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Bool:
		switch {
		case d.literal("true"):
			v.SetBool(true)
		case d.literal("false"):
			v.SetBool(false)
		default:
			return false
		}
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(d.number(), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(d.number(), 10, 64)
		if err != nil || v.OverflowUint(n) {
			return false
		}
		v.SetUint(n)
		return true
	}
	return false
}

// number consumes a plain integer literal; anything else (fractions,
// exponents, leading zeros, a non-number) yields "" and fails the parse.
func (d *decoder) number() string {
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	if d.pos == digits || d.data[digits] == '0' && d.pos-digits > 1 {
		return ""
	}
	if d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '.', 'e', 'E':
			return ""
		}
	}
	return string(d.data[start:d.pos])
}

// str decodes a string by jsonstr's rules, which decline what
// encoding/json refuses or repairs (control characters, invalid UTF-8, a
// lone surrogate).
func (d *decoder) str() (string, bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", false
	}
	b, rest, ok := jsonstr.AppendUnquoted(d.buf[:0], d.data[d.pos+1:])
	d.buf = b
	if !ok {
		return "", false
	}
	d.pos = len(d.data) - len(rest)
	return string(b), true
}

func (d *decoder) array(v reflect.Value, depth int) bool {
	s := reflect.MakeSlice(v.Type(), 0, 0) // [] is an empty slice, not nil
	ok := d.elements(func() bool {
		s = reflect.Append(s, reflect.Zero(v.Type().Elem()))
		return d.value(s.Index(s.Len()-1), depth+1)
	})
	if ok {
		v.Set(s)
	}
	return ok
}

// fixed fills a Go array as encoding/json does: elements past its
// length are checked and dropped, those missing are zeroed.
func (d *decoder) fixed(v reflect.Value, depth int) bool {
	i := 0
	ok := d.elements(func() bool {
		i++
		if i > v.Len() {
			return d.skip(depth + 1)
		}
		return d.value(v.Index(i-1), depth+1)
	})
	for ; ok && i < v.Len(); i++ {
		v.Index(i).SetZero()
	}
	return ok
}

// elements walks an array's elements, calling element with the decoder
// at each.
func (d *decoder) elements(element func() bool) bool {
	if d.data[d.pos] != '[' {
		return false
	}
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return true
	}
	for {
		if !element() {
			return false
		}
		d.space()
		if d.pos >= len(d.data) {
			return false
		}
		c := d.data[d.pos]
		d.pos++
		if c == ']' {
			return true
		}
		if c != ',' {
			return false
		}
	}
}

// members walks an object's members, calling member with each key with
// the decoder at its value. Keys must be unique.
func (d *decoder) members(member func(key string) bool) bool {
	if d.data[d.pos] != '{' {
		return false
	}
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return true
	}
	var seen []string
	for {
		d.space()
		key, ok := d.str()
		if !ok {
			return false
		}
		for _, k := range seen {
			if k == key {
				return false // encoding/json merges or overwrites
			}
		}
		seen = append(seen, key)
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return false
		}
		d.pos++
		if !member(key) {
			return false
		}
		d.space()
		if d.pos >= len(d.data) {
			return false
		}
		c := d.data[d.pos]
		d.pos++
		if c == '}' {
			return true
		}
		if c != ',' {
			return false
		}
	}
}

func (d *decoder) mapValue(v reflect.Value, depth int) bool {
	t := v.Type()
	if t.Key().Kind() != reflect.String || custom(t.Key()) {
		return false
	}
	m := reflect.MakeMap(t)
	ok := d.members(func(key string) bool {
		e := reflect.New(t.Elem()).Elem()
		if !d.value(e, depth+1) {
			return false
		}
		m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
		return true
	})
	if ok {
		v.Set(m)
	}
	return ok
}

func (d *decoder) object(v reflect.Value, depth int) bool {
	fields, ok := structFields(v.Type())
	if !ok {
		return false
	}
	return d.members(func(key string) bool {
		f, found := fields.byName[key]
		if !found {
			for name := range fields.byName {
				if strings.EqualFold(name, key) {
					return false // encoding/json matches without case
				}
			}
			if fields.folds && !asciiOnly(key) {
				return false // and with Unicode's special folds (K, ſ)
			}
			return d.skip(depth + 1)
		}
		return d.value(v.FieldByIndex(f), depth+1)
	})
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// skip consumes a value of an unknown key, checking that it is JSON.
func (d *decoder) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	d.space()
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '{':
		return d.members(func(string) bool { return d.skip(depth + 1) })
	case c == '[':
		return d.elements(func() bool { return d.skip(depth + 1) })
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.number() != "" // fractions and exponents: left to encoding/json
	}
}

type fieldSet struct {
	byName map[string][]int // JSON name to field index path
	folds  bool             // a name holds a letter with a non-ASCII fold (k, s)
}

var fieldCache sync.Map // reflect.Type -> fieldSet

// structFields maps t's JSON names to its fields as encoding/json finds
// them (fields, below): false for what it treats specially.
func structFields(t reflect.Type) (fieldSet, bool) {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(fieldSet), true
	}
	fs := fieldSet{byName: map[string][]int{}}
	list, ok := fields(t)
	if !ok {
		return fs, false
	}
	for _, f := range list {
		fs.byName[f.name] = f.index
		fs.folds = fs.folds || strings.ContainsAny(f.name, "kKsS")
	}
	fieldCache.Store(t, fs)
	return fs, true
}

// validTagName is encoding/json's isValidTag for ASCII names: letters,
// digits and a few punctuation marks.
func validTagName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) >= 0) {
			return false
		}
	}
	return true
}
