// SPDX-License-Identifier: GPL-2.0
/*
 * mydevice-back: the smallest XenBus backend for device class "mydevice".
 *
 * A lab fixture for xbdev, not a driver: it carries no data.  It only walks
 * the XenBus handshake so that a toolstack can be tested against real kernel
 * drivers in both domains:
 *
 *   probe                              -> InitWait
 *   frontend Initialised or Connected  -> Connected
 *   frontend Closing or Closed         -> Closed
 *   frontend state node gone           -> Closed, once Connected (the guest
 *                                         was destroyed); before, ignored
 *   frontend Initialising after Closed -> InitWait (the frontend reconnects)
 *
 * The xenbus core probes us when /local/domain/<be>/backend/mydevice/<fe>/<id>
 * appears with state Initialising, watches <frontend>/state for us, and
 * removes the device when the toolstack removes the backend directory.
 * Every step is logged so that a test can read it from dmesg.
 */
#define pr_fmt(fmt) "mydevice-back: " fmt

#include <linux/module.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "mydevice-common.h"

static int mydevice_back_probe(struct xenbus_device *dev,
			       const struct xenbus_device_id *id)
{
	pr_info("probe %s (frontend %s, domain %d)\n", dev->nodename,
		dev->otherend, dev->otherend_id);
	/* A real backend would write its feature and limit nodes first. */
	return mydevice_switch(dev, XenbusStateInitWait);
}

static void mydevice_back_frontend_changed(struct xenbus_device *dev,
					   enum xenbus_state fe_state)
{
	pr_info("%s: frontend %s, backend %s\n", dev->nodename,
		xenbus_strstate(fe_state), xenbus_strstate(dev->state));

	switch (fe_state) {
	case XenbusStateInitialising:
		/* A frontend going back to Initialising after a close asks to
		 * reconnect: offer the device again. */
		if (dev->state == XenbusStateClosed)
			mydevice_switch(dev, XenbusStateInitWait);
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		/* A real backend would map the frontend's ring and bind its
		 * event channel here, before announcing Connected. */
		if (dev->state != XenbusStateConnected)
			mydevice_switch(dev, XenbusStateConnected);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		mydevice_switch(dev, XenbusStateClosed);
		break;
	case XenbusStateUnknown:
		/* No frontend state node.  Once connected, that means the
		 * frontend is gone (a destroyed guest): close.  Before, a
		 * toolstack may simply not have written it yet (the seeds'
		 * script writes the backend first): wait for it. */
		if (dev->state == XenbusStateConnected)
			mydevice_switch(dev, XenbusStateClosed);
		break;
	default:
		break;
	}
}

static struct xenbus_driver mydevice_back_driver = {
	.ids = mydevice_ids,
	.probe = mydevice_back_probe,
	.otherend_changed = mydevice_back_frontend_changed,
	.remove = mydevice_remove,
};

static int __init mydevice_back_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	err = xenbus_register_backend(&mydevice_back_driver);
	if (!err)
		pr_info("registered for backend type mydevice\n");
	return err;
}
module_init(mydevice_back_init);

static void __exit mydevice_back_exit(void)
{
	xenbus_unregister_driver(&mydevice_back_driver);
}
module_exit(mydevice_back_exit);

MODULE_DESCRIPTION("xbdev lab fixture: minimal XenBus backend for class mydevice");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen-backend:mydevice");
