#!/bin/sh
# podlab's stand-in for Tomcat 7.0.42: serve the webapps directory on :8080.
#
# This script is its container's PID 1, and the kernel delivers to a pid
# namespace's init only the signals it has a handler for: without the trap,
# the SIGTERM of a pod's stop would be ignored, and the stop would wait out
# the whole grace period for its SIGKILL. (Tomcat's JVM handles SIGTERM
# itself; this is the shell's way.) The shell reports a child a signal
# ended ("Terminated") on stderr, which is the container's log: the stop
# is ours, so the trap's wait says nothing.
httpd -f -p 8080 -h /root/apache-tomcat-7.0.42-v2/webapps &
trap 'kill $!; wait $! 2>/dev/null; exit 0' TERM INT
wait $!
