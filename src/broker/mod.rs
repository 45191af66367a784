//! The embedded MQTT broker (rmqtt) behind gsmq's own small interface.
//! Every rmqtt type stays inside this module.
