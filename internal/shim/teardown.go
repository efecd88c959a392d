package shim

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/containerd/api/types/task"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/jinn-containers/jinn/internal/runtime"
)

// A deleted task's teardown follows Delete's answer where nothing depends
// on it: containerd waits for every step of a task's Delete on the path
// of StopPodSandbox and StopContainer.
//
//	step                                | when
//	------------------------------------+-------------------------------------
//	the runtime's delete (cgroups on    | after the answer, if the init exited
//	  every hierarchy, the state: ~1 ms)|  with its own pid namespace and there
//	                                    |  are no poststop hooks; the options
//	                                    |  file stays, locked, until it is done
//	the init's mount namespace (nshold) | after the answer
//	the rootfs overlay (detachRootfs)   | after the answer, last
//
// The delete command containerd runs after each task's connection closes
// answers at once (quickdelete.c) where the options file is gone or a
// live shim holds its lock; a shim killed before it finished leaves the
// file unlocked, and the command then deletes the task itself. The shim
// exits (Shutdown) only once its runtime deletes are done.

// optionsLock is the options file of a task being deleted after the
// answer, open and flock'ed by this shim.
type optionsLock struct {
	fd   int
	path string
}

// deleteLater decides whether c's runtime delete can follow the answer,
// and if so locks its options file; nil means it cannot.
func (s *service) deleteLater(c *container, p *process) *optionsLock {
	if _, own := nsOf(c.spec, specs.PIDNamespace); !own || p.status() != task.Status_STOPPED {
		return nil
	}
	if c.spec.Hooks != nil && len(c.spec.Hooks.Poststop) > 0 {
		return nil
	}
	return lockOptions(c.bundle)
}

// lockOptions opens and locks the bundle's options file (nil if it
// cannot: then nothing is put off).
func lockOptions(bundle string) *optionsLock {
	path := filepath.Join(bundle, optionsFile)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil
	}
	return &optionsLock{fd: fd, path: path}
}

// release lets go of the file and leaves it (nil: nothing).
func (l *optionsLock) release() {
	if l != nil {
		unix.Close(l.fd)
	}
}

// unlock removes the options file and lets go of it (nil: nothing).
func (l *optionsLock) unlock() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	unix.Close(l.fd)
}

// teardown runs the rest of a deleted task's teardown in the background;
// a Create of the same id waits for it (waitReleased).
func (s *service) teardown(c *container, lock *optionsLock, rootfs func()) {
	if lock == nil {
		// Nothing is left for the delete command, which containerd runs
		// even after a clean shutdown (main.go, cleanup).
		os.Remove(filepath.Join(c.bundle, optionsFile))
	} else {
		s.deleting.Add(1)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.releasing[c.id] = done
	s.mu.Unlock()
	go func() {
		if lock != nil {
			if err := c.rt.Delete(c.id, false); err != nil && !errors.Is(err, runtime.ErrNotExist) {
				// The options stay: the delete command finishes the job
				// once this shim is gone.
				s.log.Error("delete after the answer", "container", c.id, "err", err)
				lock.release()
			} else {
				lock.unlock()
			}
			s.deleting.Done()
		}
		// The mount namespace before the rootfs: its mounts hold the
		// same overlay, whose last reference syncs the host filesystem.
		st := s.steps()
		c.mntNS.release()
		st.mark("mntns")
		rootfs()
		st.mark("rootfs")
		st.log(s.log, "teardown")
		s.mu.Lock()
		if s.releasing[c.id] == done {
			delete(s.releasing, c.id)
		}
		s.mu.Unlock()
		close(done)
	}()
}

// waitReleased waits until a deleted task of the same id is torn down:
// its runtime state would make the create fail, its options file would go
// with the new one, and the same snapshot mounted again while its old
// overlay lives would share its upper directory.
func (s *service) waitReleased(id string) {
	s.mu.Lock()
	done := s.releasing[id]
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// waitDeletes waits (at most d) for the runtime deletes that followed
// their answers: the shim must not exit before they are done.
func (s *service) waitDeletes(d time.Duration) {
	done := make(chan struct{})
	go func() { s.deleting.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		s.log.Error("runtime deletes still running at exit")
	}
}

// optionsHeld tells whether a live shim holds the bundle's options file
// locked: it deletes the task itself (the delete command's check; the
// same as quickdelete.c's).
func optionsHeld(bundle string) bool {
	fd, err := unix.Open(filepath.Join(bundle, optionsFile), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}
