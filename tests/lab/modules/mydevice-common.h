/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mydevice-back.c and mydevice-front.c share.  Include it after
 * defining pr_fmt: the messages carry the including module's prefix.
 */
#ifndef MYDEVICE_COMMON_H
#define MYDEVICE_COMMON_H

#include <linux/printk.h>
#include <xen/xenbus.h>

/* Every state this end takes is logged, so dmesg shows the whole handshake. */
static inline int mydevice_switch(struct xenbus_device *dev,
				  enum xenbus_state st)
{
	int err;

	if (dev->state == st)
		return 0;
	pr_info("%s: %s -> %s\n", dev->nodename, xenbus_strstate(dev->state),
		xenbus_strstate(st));
	err = xenbus_switch_state(dev, st);
	if (err)
		pr_warn("%s: cannot switch to %s: %d\n", dev->nodename,
			xenbus_strstate(st), err);
	return err;
}

static inline void mydevice_remove(struct xenbus_device *dev)
{
	pr_info("remove %s\n", dev->nodename);
}

static const struct xenbus_device_id mydevice_ids[] = {
	{ "mydevice" },
	{ "" }
};

#endif
