package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jinn-containers/jinn/internal/engine"
	"github.com/jinn-containers/jinn/internal/image"
)

// apiError is an answer with dockerd's status code and message.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

// errWritten: the handler already answered (a stream that failed midway).
var errWritten = errors.New("response already written")

func badRequest(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &apiError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

func conflict(format string, a ...any) error {
	return &apiError{http.StatusConflict, fmt.Sprintf(format, a...)}
}

// asAPIError maps an engine or store error to dockerd's status: the
// engine's errors carry docker's texts, so only the code is chosen here.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	msg := err.Error()
	switch {
	case errors.Is(err, engine.ErrNotFound):
		// The engine wraps the sentinel: "No such container: x: no such container".
		return &apiError{http.StatusNotFound, strings.TrimSuffix(msg, ": "+engine.ErrNotFound.Error())}
	case errors.Is(err, engine.ErrInvalid):
		return &apiError{http.StatusBadRequest, msg}
	case errors.Is(err, engine.ErrImageNotFound), errors.Is(err, image.ErrNotFound):
		return &apiError{http.StatusNotFound, msg}
	case errors.Is(err, image.ErrInUse), errors.Is(err, image.ErrConflict):
		return &apiError{http.StatusConflict, msg}
	}
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "No such"), strings.Contains(low, "could not find"), strings.Contains(low, "not found") && !strings.Contains(low, "executable file not found"):
		return &apiError{http.StatusNotFound, msg}
	case strings.Contains(low, "already in use"), strings.Contains(low, "is not running"),
		strings.Contains(low, "is running"), strings.Contains(low, "is paused"), strings.Contains(low, "is not paused"),
		strings.Contains(low, "conflict"), strings.Contains(low, "cannot start a paused"),
		strings.Contains(low, "you cannot attach"), strings.Contains(low, "already exists"),
		strings.Contains(low, "in use"):
		return &apiError{http.StatusConflict, msg}
	case strings.Contains(low, "invalid"), strings.Contains(low, "minimum memory"),
		strings.Contains(low, "no command specified"), strings.Contains(low, "conflicting options"),
		strings.Contains(low, "unknown"), strings.Contains(low, "not supported"):
		return &apiError{http.StatusBadRequest, msg}
	}
	return &apiError{http.StatusInternalServerError, msg}
}

func writeError(w http.ResponseWriter, err error) {
	ae := asAPIError(err)
	writeJSON(w, ae.code, map[string]string{"message": ae.msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(v)
}

// maxBody bounds JSON request bodies (a create request is a few KiB).
const maxBody = 4 << 20

// legacyFields are fields older clients still send that the current
// types dropped; they are accepted and ignored, as dockerd does.
var legacyFields = map[string]bool{
	"MacAddress": true, "KernelMemory": true, "KernelMemoryTCP": true, "CpuCount": true,
	"CpuPercent": true, "IOMaximumIOps": true, "IOMaximumBandwidth": true, "Domainname": true,
	"NetworkDisabled": true, "OnBuild": true, "Shell": true, "ArgsEscaped": true, "PidsLimit": true,
	"EnableIPv6": true, "EnableIPv4": true,
	"CheckDuplicate": true, "Detach": true, "Container": true, "ContainerIDFile": true, "ConfigOnly": true, "ConfigFrom": true, "Scope": true, "Ingress": true,
}

// decodeBody reads a JSON body into v: unknown fields (other than the
// legacy ones) and wrong types are 400, as is a body over maxBody. An
// empty body leaves v as it is. fixes may rewrite a JSON object body
// first (known quirks of clients).
func decodeBody(r *http.Request, v any, fixes ...func(map[string]json.RawMessage)) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return badRequest("read request body: %v", err)
	}
	if len(body) > maxBody {
		return &apiError{http.StatusRequestEntityTooLarge, "request body too large"}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if len(fixes) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil {
			for _, f := range fixes {
				f(m)
			}
			body, _ = json.Marshal(m)
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field, isUnknown := strings.CutPrefix(err.Error(), "json: unknown field ")
		if !isUnknown || !legacyFields[strings.Trim(field, `"`)] {
			return badRequest("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		if err := json.Unmarshal(body, v); err != nil {
			return badRequest("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return nil
}

// boolParam is dockerd's: "1", "true", "True" are true; "", "0", "false" false.
func boolParam(r *http.Request, name string) bool {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "0", "false", "no":
		return false
	}
	return true
}
