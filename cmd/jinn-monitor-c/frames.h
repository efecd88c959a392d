/* Attach frames (internal/monitor/attach.go): a byte of type, a 32-bit
 * big-endian length, the payload. Shared by the C monitor and jinn's C
 * run (cmd/jinn/cliplan.c). */
#ifndef JINN_FRAMES_H
#define JINN_FRAMES_H
enum {
	FrameStdin, FrameStdout, FrameStderr, FrameExit, FrameCloseStdin, FrameResize,
	FrameStart, FrameStarted, FrameRemoved, FrameDeleted,
};
#define FRAME_HDR 5
#define FRAME_MAX (1 << 20) /* ReadFrame refuses larger payloads */
#endif
