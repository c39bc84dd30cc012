#!/bin/sh
# podlab's stand-in for Tomcat 7.0.42: serve the webapps directory on :8080.
exec httpd -f -p 8080 -h /root/apache-tomcat-7.0.42-v2/webapps
