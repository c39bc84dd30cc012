/*
 * pause.S - the pod's holder for x86-64 without any C library: the same
 * behaviour as pause.c in about a kilobyte, talking to the kernel only
 * through the syscall instruction.
 *
 *   rax = syscall number, arguments in rdi, rsi, rdx, r10, r8, r9;
 *   the kernel returns in rax (-errno on failure) and clobbers rcx and r11.
 *
 * What libc used to do for us and we must do by hand:
 *   - find argc/argv: at _start they are on the stack, [rsp] = argc;
 *   - install handlers with rt_sigaction(2) using the kernel's struct
 *     (handler, flags, restorer, mask), not glibc's struct sigaction;
 *   - provide the restorer: when a handler returns, it returns into the code
 *     named by sa_restorer, which must call rt_sigreturn(2) so the kernel can
 *     restore the registers of the interrupted code. x86-64 has no default.
 */

#define SYS_write 1
#define SYS_rt_sigaction 13
#define SYS_rt_sigreturn 15
#define SYS_pause 34
#define SYS_getpid 39
#define SYS_wait4 61
#define SYS_prctl 157
#define SYS_exit_group 231

#define SIGINT 2
#define SIGTERM 15
#define SIGCHLD 17
#define SA_NOCLDSTOP 0x00000001
#define SA_RESTORER 0x04000000
#define SA_RESTART 0x10000000
#define WNOHANG 1
#define PR_SET_DUMPABLE 4

	.section .rodata
version:
	.ascii "pause (podlab, x86-64 assembly) 1.0\n"
	.set version_len, . - version
warning:
	.ascii "pause: warning: not running as PID 1\n"
	.set warning_len, . - warning

	/* struct kernel_sigaction: handler, flags, restorer, mask (8 bytes each) */
	.balign 8
sa_term:
	.quad on_term
	.quad SA_RESTORER
	.quad restorer
	.quad 0
sa_chld:
	.quad on_chld
	.quad SA_RESTORER | SA_NOCLDSTOP | SA_RESTART
	.quad restorer
	.quad 0

	.text
	.globl _start
_start:
	/* prctl(PR_SET_DUMPABLE, 0): not dumpable, whatever fs.suid_dumpable
	 * says (pause.c's main says why); exit 1 when it fails */
	movl $SYS_prctl, %eax
	movl $PR_SET_DUMPABLE, %edi
	xorl %esi, %esi
	syscall
	testq %rax, %rax
	jnz fail

	/* pause -v: argc > 1 and argv[1] is exactly "-v" */
	cmpq $1, (%rsp)
	jle 1f
	movq 16(%rsp), %rax             /* argv[1] */
	cmpb $'-', (%rax)
	jne 1f
	cmpb $'v', 1(%rax)
	jne 1f
	cmpb $0, 2(%rax)
	jne 1f
	movl $SYS_write, %eax
	movl $1, %edi                   /* stdout */
	leaq version(%rip), %rsi
	movl $version_len, %edx
	syscall
	xorl %edi, %edi
	jmp exit

1:	movl $SYS_getpid, %eax
	syscall
	cmpq $1, %rax
	je 2f
	movl $SYS_write, %eax
	movl $2, %edi                   /* stderr */
	leaq warning(%rip), %rsi
	movl $warning_len, %edx
	syscall

2:	movl $SIGINT, %edi
	leaq sa_term(%rip), %rsi
	call sigaction
	movl $SIGTERM, %edi
	leaq sa_term(%rip), %rsi
	call sigaction
	movl $SIGCHLD, %edi
	leaq sa_chld(%rip), %rsi
	call sigaction
	call reap                       /* children that exited before the handler */

sleep:	movl $SYS_pause, %eax           /* returns -EINTR after every handled signal */
	syscall
	jmp sleep

/* sigaction(edi = signal, rsi = &kernel_sigaction): exit 1 when it fails */
sigaction:
	movl $SYS_rt_sigaction, %eax
	xorl %edx, %edx                 /* no old action wanted */
	movl $8, %r10d                  /* sizeof(kernel sigset_t) */
	syscall
	testq %rax, %rax
	jnz fail
	ret
fail:	movl $1, %edi
exit:	movl $SYS_exit_group, %eax
	syscall

/* SIGTERM, SIGINT: stopping the pod is not an error */
on_term:
	xorl %edi, %edi
	jmp exit

/* SIGCHLD: wait4(-1, NULL, WNOHANG, NULL) until nothing more is there to
 * reap. Only rax, rcx, rdx, rsi, rdi, r10, r11 change, and rt_sigreturn
 * restores them all; errno does not exist here. */
on_chld:
reap:
	movl $SYS_wait4, %eax
	movq $-1, %rdi
	xorl %esi, %esi
	movl $WNOHANG, %edx
	xorl %r10d, %r10d
	syscall
	testq %rax, %rax
	jg reap                         /* reaped one: look for more */
	cmpq $-4, %rax                  /* -EINTR: try again */
	je reap
	ret                             /* 0: children still running; -ECHILD: none */

/* Where a handler "returns" to: hand the saved registers back to the kernel. */
restorer:
	movl $SYS_rt_sigreturn, %eax
	syscall

	.section .note.GNU-stack, "", @progbits
