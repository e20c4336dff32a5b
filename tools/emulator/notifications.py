"""DRS notifications in the shape Amazon SNS delivered them to a device maker's
cloud: an SNS envelope whose `Message` is the DRS JSON document."""

import json
import uuid

from tools.emulator import isodate

TOPIC = "arn:aws:sns:us-east-1:000000000000:drs-emulator-notifications"
# drs-api.md names the `version` field but not its value; the emulator writes this.
VERSION = "1.0"
TYPES = ("OrderPlacedNotification", "OrderCancelledNotification", "ItemShippedNotification",
         "DeviceRegisteredNotification", "DeviceDeregisteredNotification",
         "SubscriptionChangedNotification")


def record(state, kind, device, when=None, **extra):
    """Append one notification about `device` (a devices record); `extra`
    adds sections such as orderInfo."""
    assert kind in TYPES
    when = state.now() if when is None else when
    message = {
        "notificationInfo": {
            "notificationType": kind, "lwaClientId": device["client_id"],
            "notificationTime": isodate.utc_seconds(when),
            "notificationId": str(uuid.uuid4()), "version": VERSION},
        "deviceInfo": {"deviceIdentifier": {"serialNumber": device["serial"]},
                       "productIdentifier": {"modelId": device["model"]}},
        "customerInfo": {"directedCustomerId": device["customer_id"]},
    }
    message.update(extra)
    state.touch()
    state.notifications.append({
        "Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": TOPIC,
        "Subject": kind, "Message": json.dumps(message), "Timestamp": isodate.utc_millis(when)})


def order_info(order, delivery_date):
    return {"orderInfo": {"instanceId": order["id"], "slotId": order["slot"], "productInfo": [{
        "asin": order["asin"], "quantity": order["quantity"], "unit": order["unit"],
        "estimatedDeliveryDate": delivery_date}]}}
