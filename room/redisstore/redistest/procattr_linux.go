package redistest

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel kill redis-server if the test process dies
// without running its cleanups (a panic or a test timeout).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
