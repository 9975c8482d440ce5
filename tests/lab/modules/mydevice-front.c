// SPDX-License-Identifier: GPL-2.0
/*
 * mydevice-front: the smallest XenBus frontend for device class "mydevice".
 *
 * The guest half of the lab fixture (see mydevice-back.c).  It carries no
 * data either; it only answers the backend:
 *
 *   backend InitWait   -> Initialised (a real frontend would first grant its
 *                         ring, bind an event channel and write ring-ref /
 *                         event-channel under its own directory)
 *   backend Connected  -> Connected
 *   backend Closing    -> Closed (also on Closed, should the backend skip
 *                         Closing)
 *
 * The xenbus core probes us when /local/domain/<fe>/device/mydevice/<id>
 * appears with state Initialising, follows its "backend" node to watch the
 * backend's state, and removes the device when the directory disappears.
 */
#define pr_fmt(fmt) "mydevice-front: " fmt

#include <linux/module.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "mydevice-common.h"

static int mydevice_front_probe(struct xenbus_device *dev,
				const struct xenbus_device_id *id)
{
	pr_info("probe %s (backend %s, domain %d)\n", dev->nodename,
		dev->otherend, dev->otherend_id);
	return 0;
}

static void mydevice_front_backend_changed(struct xenbus_device *dev,
					   enum xenbus_state be_state)
{
	pr_info("%s: backend %s, frontend %s\n", dev->nodename,
		xenbus_strstate(be_state), xenbus_strstate(dev->state));

	switch (be_state) {
	case XenbusStateInitWait:
		if (dev->state == XenbusStateInitialising)
			mydevice_switch(dev, XenbusStateInitialised);
		break;
	case XenbusStateConnected:
		if (dev->state == XenbusStateInitialised)
			mydevice_switch(dev, XenbusStateConnected);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		/* Switches to Closed and wakes anyone waiting on dev->down. */
		if (dev->state != XenbusStateClosed)
			pr_info("%s: %s -> Closed\n", dev->nodename,
				xenbus_strstate(dev->state));
		xenbus_frontend_closed(dev);
		break;
	default:
		break;
	}
}

static struct xenbus_driver mydevice_front_driver = {
	.ids = mydevice_ids,
	.probe = mydevice_front_probe,
	.otherend_changed = mydevice_front_backend_changed,
	.remove = mydevice_remove,
	/* Do not hold up the guest's boot waiting for this device. */
	.not_essential = true,
};

static int __init mydevice_front_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	err = xenbus_register_frontend(&mydevice_front_driver);
	if (!err)
		pr_info("registered for device class mydevice\n");
	return err;
}
module_init(mydevice_front_init);

static void __exit mydevice_front_exit(void)
{
	xenbus_unregister_driver(&mydevice_front_driver);
}
module_exit(mydevice_front_exit);

MODULE_DESCRIPTION("xbdev lab fixture: minimal XenBus frontend for class mydevice");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen:mydevice");
