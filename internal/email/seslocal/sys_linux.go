package seslocal

import "syscall"

// sysProcAttr makes the kernel kill the emulator if the test process dies
// without running its cleanups.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
