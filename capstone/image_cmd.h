/*
 * image_cmd.h - `podrun image load|ls|inspect|rm`: the image store from the
 * command line (labs/03-shared-volume/image.h does the work).
 */
#ifndef PODRUN_IMAGE_CMD_H
#define PODRUN_IMAGE_CMD_H

/* argv[0] is "image", argv[1] the subcommand. Returns the exit status:
 * 0 ok, 1 runtime failure, 2 usage error. */
int cmd_image(int argc, char **argv);

/* Which images pods use now (a NULL-terminated array of references, malloc'd
 * strings in a malloc'd array; NULL for none): `image rm` refuses to remove
 * them. podrun sets it once, before it runs a command; unset, no image is
 * considered in use. */
void image_cmd_set_in_use(char **(*in_use)(void));

#endif
